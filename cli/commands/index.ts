/**
 * The subcommands of `servicevm`, in help order. A new one is a module exporting
 * `(ctx: CliContext) => Command` and one line here (e.g. `placementCommand` for `servicevm placement status`).
 */
import type { Command } from "commander";
import type { CliContext } from "../context";
import { capacityCommand } from "./capacity";
import { explainCommand } from "./explain";
import { placementCommand } from "./placement";
import { planCommand } from "./plan";
import { validateCommand } from "./validate";

export type CommandFactory = (ctx: CliContext) => Command;

export const commands: readonly CommandFactory[] = [
  validateCommand,
  planCommand,
  explainCommand,
  capacityCommand,
  placementCommand,
];
