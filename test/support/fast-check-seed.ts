/**
 * Preloaded by `npm test` (scripts/run-tests.js): every fast-check property runs from one fixed
 * seed, so CI is reproducible (issue: "a fixed-seed sample runs in npm test"). Explore with
 * `TSBPF_FC_SEED=random npm test` or replay with `TSBPF_FC_SEED=<n>`; the seed in use is printed.
 */
import fc from 'fast-check';

const requested = process.env.TSBPF_FC_SEED;
const seed = requested === 'random' ? (Date.now() ^ (Math.random() * 0x7fffffff)) | 0 : requested !== undefined && /^-?\d+$/.test(requested) ? Number(requested) : 20261125;
fc.configureGlobal({ seed });
console.log(`fast-check seed: ${seed} (TSBPF_FC_SEED=random explores, TSBPF_FC_SEED=<n> replays)`);
