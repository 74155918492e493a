// A training job from inline scenario JSON (generated data), for the resource tests.
import { loadScenarioData } from "../../src/data/load.ts";
import { memoryFileSource } from "../../src/io.ts";
import { parseScenario } from "../../src/scenario/load.ts";
import { type TrainingJob, trainingJob } from "../../src/train/job.ts";
import type { GpuTrainOptions } from "../../src/train/train.ts";

/** The job of an inline scenario named `name`. */
export async function inlineJob(name: string, json: Record<string, unknown>): Promise<TrainingJob> {
  const source = memoryFileSource({});
  const scenario = parseScenario(JSON.stringify({ name, ...json }), `/virtual/${name}.json`, source);
  const data = await loadScenarioData(scenario, source);
  return trainingJob(scenario, data);
}

/** trainOnGpu's options for `job`. */
export function trainOptions(job: TrainingJob, extra: Partial<GpuTrainOptions> = {}): GpuTrainOptions {
  return { ...job, loss: job.scenario.loss, optimizer: job.scenario.optimizer, ...extra };
}
