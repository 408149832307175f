import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const LAUNCHER = join(__dirname, "..", "..", "dist", "test", "production", "workers", "launcher.js");

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("servers the tests start", () => {
  it("stop by themselves when the test process is killed without running its exit handler", async () => {
    expect(existsSync(LAUNCHER)).toBe(true);
    const launcher = spawn(process.execPath, [LAUNCHER], { stdio: ["ignore", "pipe", "inherit"] });
    const pid = await new Promise<number>((resolve, reject) => {
      launcher.stdout.once("data", (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
      launcher.once("exit", (code) => reject(new Error(`launcher exited with ${code}`)));
    });
    expect(alive(pid)).toBe(true);
    launcher.kill("SIGKILL");
    // The watchdog polls once a second.
    for (let i = 0; i < 100 && alive(pid); i++) await new Promise((resolve) => setTimeout(resolve, 100));
    const survived = alive(pid);
    if (survived) process.kill(pid, "SIGKILL");
    expect(survived).toBe(false);
  });
});
