// Reads a fleet or workload file, choosing the format by extension: .csv is the Alibaba trace
// layout, .yaml/.yml the Weft format (see weft-yaml.ts).
import { readFileSync } from 'node:fs';
import type { NodeInput } from '../scheduler/index.js';
import { parseAlibabaNodes, parseAlibabaPods } from './alibaba.js';
import { parseFleetYaml, parseWorkloadYaml } from './weft-yaml.js';
import type { SimPod } from './workload.js';

const isYaml = (path: string) => /\.ya?ml$/i.test(path);

export function loadNodes(path: string): NodeInput[] {
  const text = readFileSync(path, 'utf8');
  return isYaml(path) ? parseFleetYaml(text) : parseAlibabaNodes(text);
}

export function loadPods(path: string): SimPod[] {
  const text = readFileSync(path, 'utf8');
  return isYaml(path) ? parseWorkloadYaml(text) : parseAlibabaPods(text);
}
