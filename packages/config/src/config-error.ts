// The one error loadConfig throws: every problem found, one line per variable, so an operator fixes them all at once.
export interface ConfigProblem {
  /** The environment variable the problem is about (or "config" for cross-field rules). */
  readonly variable: string;
  readonly message: string;
}

export class ConfigError extends Error {
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[]) {
    const lines = problems.map((p) => `  ${p.variable}: ${p.message}`);
    super(
      `Invalid configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n${lines.join("\n")}`,
    );
    this.name = "ConfigError";
    this.problems = problems;
  }
}
