/**
 * kernelRelease (src/tools/opensnoop-live.ts), which reads /proc instead of loading node:os on the
 * fast path: the same string as os.release() (uname(2)).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { release } from 'node:os';
import { kernelRelease } from '../../src/tools/opensnoop-live.js';

test('kernelRelease() is os.release()', () => {
  assert.is(kernelRelease(), release());
});

test.run();
