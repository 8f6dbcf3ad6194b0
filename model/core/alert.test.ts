import { describe, expect, it } from "vitest";
import { initialAlertState, stepAlert, type AlertPolicy, type AlertState } from "./alert.ts";

const policy: AlertPolicy = {
  warning: { horizonIndex: 2, enter: 0.5, exit: 0.3, enterSteps: 2, exitSteps: 3 },
  critical: { horizonIndex: 0, enter: 0.8, exit: 0.5, enterSteps: 1, exitSteps: 2 },
};
const run = (risks: number[][], s: AlertState = initialAlertState()) =>
  risks.map((r, i) => (s = stepAlert(policy, s, r, i)).level);

describe("stepAlert", () => {
  it("needs enterSteps consecutive steps to raise a warning", () => {
    expect(
      run([
        [0, 0, 0.6],
        [0, 0, 0.1],
        [0, 0, 0.6],
        [0, 0, 0.6],
      ]),
    ).toEqual(["ok", "ok", "ok", "warning"]);
  });

  it("does not flap around the threshold (hysteresis)", () => {
    const hovering = [0.6, 0.6, 0.45, 0.55, 0.4, 0.52, 0.35, 0.6].map((p) => [0, 0, p]);
    const levels = run(hovering);
    expect(levels.slice(1)).toEqual(Array(7).fill("warning"));
  });

  it("leaves a level only after exitSteps below its exit threshold", () => {
    const levels = run([
      [0, 0, 0.9],
      [0, 0, 0.9],
      [0, 0, 0.2],
      [0, 0, 0.2],
      [0, 0, 0.2],
    ]);
    expect(levels).toEqual(["ok", "warning", "warning", "warning", "ok"]);
  });

  it("escalates to critical and steps back down through warning", () => {
    const levels = run([
      [0.9, 0.9, 0.9],
      [0.4, 0.6, 0.6],
      [0.4, 0.6, 0.6],
      [0.1, 0.1, 0.1],
      [0.1, 0.1, 0.1],
      [0.1, 0.1, 0.1],
    ]);
    expect(levels).toEqual(["critical", "critical", "warning", "warning", "warning", "ok"]);
  });

  it("is pure: the input state is never modified", () => {
    const s = initialAlertState();
    const copy = structuredClone(s);
    stepAlert(policy, s, [1, 1, 1], 0);
    expect(s).toEqual(copy);
  });
});
