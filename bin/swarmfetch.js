#!/usr/bin/env node
// The P2P server and the hash command moved to their own package, swarmfetch-server (the page package carries no
// server dependencies): this says so, with the command to run instead.
const args = process.argv.slice(2).join(' ');
console.error(`swarmfetch: the P2P server and the hash command are in the swarmfetch-server package now:
  npx swarmfetch-server${args ? ` ${args}` : ' --help'}`);
process.exit(1);
