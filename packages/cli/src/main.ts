#!/usr/bin/env node
// The `stockroom` command-line tool: `stockroom --help` lists the commands.
import { runCli } from "./program.ts";

process.exitCode = await runCli(process.argv);
