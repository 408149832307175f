/** vitest's side of the production-shaped Placement: one shape per test file. */
import { afterAll, beforeAll } from "vitest";
import { startProductionPlacement, type ProductionPlacement, type ShapeOptions } from "./shape";

/** Starts the shape before a file's tests and stops it after them; usable inside tests and hooks. */
export function useProductionPlacement(options: ShapeOptions = {}): () => ProductionPlacement {
  let shape: ProductionPlacement | null = null;
  beforeAll(async () => {
    shape = await startProductionPlacement(options);
  }, 240_000);
  afterAll(async () => {
    await shape?.stop();
    shape = null;
  }, 120_000);
  return () => {
    if (shape === null) throw new Error("useProductionPlacement: used before `beforeAll` started it");
    return shape;
  };
}
