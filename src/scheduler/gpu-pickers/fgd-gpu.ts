// FGD's own rule: the GPU whose use leaves the node least fragmented (same rule as its score).
import type { FragmentationMeasure } from '../fragmentation.js';
import { fgdShareChoice } from '../scorers/fgd.js';
import type { SharePicker } from './share-picker.js';

export function fgdGpu(measure: FragmentationMeasure): SharePicker {
  return {
    name: 'fgd-gpu',
    pick: (snap, n, req) => fgdShareChoice(measure, snap, n, req).gpu,
  };
}
