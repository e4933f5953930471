// Image locality: 100 on a node that already holds the replica's image, 0 elsewhere. A pull of a
// large image (tens of GB for a training or inference image) can take longer than the job's
// start otherwise; but it is a tie-break (Policy.tieBreak), never a weight: a node that fits
// worse or fragments more is not chosen for holding the image. The live loop uses it; the
// simulator's FGD experiments do not (their traces name no images).
import type { Scorer } from './scorer.js';

export const imageLocality: Scorer = {
  name: 'image-locality',
  // By node, not by node class: two nodes in the same state may hold different images.
  nodeLocal: false,
  appliesTo: (req) => req.imageNodes !== null,
  score(ctx, nodes, count, out) {
    const mask = ctx.req.imageNodes;
    for (let i = 0; i < count; i++) out[i] = mask !== null && mask[nodes[i]!] === 1 ? 100 : 0;
  },
};
