// weft's rule for a share: the GPU with the best fragmentation score on the stranding-aware
// measure, the tightest fit among equals, then the lowest index — the same choice the weft
// scorer rated the node by.
import type { FragmentationMeasure } from '../fragmentation.js';
import { weftShareChoice } from '../scorers/weft.js';
import type { SharePicker } from './share-picker.js';

export function weftGpu(measure: FragmentationMeasure): SharePicker {
  return {
    name: 'weft-gpu',
    pick: (snap, n, req) => weftShareChoice(measure, snap, n, req).gpu,
  };
}
