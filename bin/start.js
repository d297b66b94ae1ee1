#!/usr/bin/env node
// `npm start` (src/main.ts): live opensnoop as root, else the offline path. Runs the compiled
// JavaScript in dist/ when it is up to date, else the sources through tsx (bin/compiled.js).
'use strict';
const { loadEntry } = require('./compiled.js');

async function run() {
  try {
    const { main } = await loadEntry('src/main.ts');
    process.exitCode = await main(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`tsbpf: ${String(e instanceof Error ? e.message : e).split('\n')[0]}\n`);
    process.exitCode = 2;
  }
}
run();
