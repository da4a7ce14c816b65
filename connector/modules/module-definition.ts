/**
 * What the registry knows about a module: its names, which connection types
 * it takes, and how to create it from a validated entry.
 */

import type { ConnectionType } from "./config/connection-types.js";
import type { LoadedConnection } from "./config/load.js";
import type { ConfigLocation } from "./config/parse.js";
import type { ModuleEventSink } from "./events.js";
import type { OutputModule, OutputModuleContext } from "./output-module.js";
import type { SharedConnections } from "./shared-connections.js";

/** Everything a module factory receives. */
export interface ModuleBuildContext {
  /** The seam context (module-config, connection settings, data type). */
  readonly context: OutputModuleContext;
  /** Location of the entry's `module-config`, for ConfigErrors. */
  readonly location: ConfigLocation;
  /** The named connection, when the entry names one. */
  readonly connection: LoadedConnection | undefined;
  /** Shared clients, one per named connection. */
  readonly shared: SharedConnections;
  /** Where the `log` module writes. */
  readonly stdout: NodeJS.WritableStream;
  /** Receives the typed events modules emit. */
  readonly emit: ModuleEventSink;
}

/** A module type in the registry. */
export interface ModuleDefinition {
  /** Canonical name. */
  readonly name: string;
  /** Other accepted names. */
  readonly aliases: readonly string[];
  /** Connection types the module accepts; empty when it takes none. */
  readonly connectionTypes: readonly ConnectionType[];
  /** Whether an entry must name a connection. */
  readonly connectionRequired: boolean;
  /**
   * Creates the module. Validates `module-config` and throws ConfigError;
   * must not connect (connections open on first delivery).
   */
  create(build: ModuleBuildContext): OutputModule;
}
