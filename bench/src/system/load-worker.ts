// The load generator's own process: reads a scenario spec from argv, prints its result as JSON.
import { runScenario, type ScenarioSpec } from "./scenarios.ts";

const spec = JSON.parse(process.argv[2] as string) as ScenarioSpec;
await Promise.all((spec.scrapeFirst ?? []).map(async (url) => (await fetch(`${url}/metrics`)).arrayBuffer()));
const result = await runScenario(spec);
process.stdout.write(`${JSON.stringify(result)}\n`);
