#!/usr/bin/env node
// The `stockroom` command-line tool: `stockroom --help` lists the commands.
import { runCli } from "./program.ts";

// A reader that stops early (`stockroom … | head -1`) closes the pipe: that ends the output, not in a crash.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code !== "EPIPE") throw err;
  process.exit(typeof process.exitCode === "number" ? process.exitCode : 0);
});

process.exitCode = await runCli(process.argv);
