/**
 * The config-file room: what the receiver's and the connector's JSON config
 * files share — the error that names file, key path and expectation,
 * `{$VAR}` substitution, and JSON syntax errors with line and column.
 */
export { ConfigError, formatKeyPath } from "./config-error.js";
export { findJsonSyntaxError, type JsonSyntaxProblem } from "./json-syntax.js";
export { MissingVariableError, substituteVariables } from "./substitute.js";
