/**
 * Starts `sleep 300` as a server would be started (processes.ts `launch`), prints its process id,
 * then waits to be killed: processes.test.ts kills this process with SIGKILL, so no exit handler
 * runs, and checks that the watchdog stops the group.
 */
import { join } from "node:path";
import { tmpdir } from "node:os";
import { launch } from "../processes";

const child = launch("/bin/sleep", ["300"], join(tmpdir(), `servicevm-launcher-${process.pid}.log`));
process.stdout.write(`${child.pid}\n`);
setInterval(() => undefined, 1000);
