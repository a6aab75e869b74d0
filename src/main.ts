#!/usr/bin/env node
import { main } from './cli.js';
import { startProgram } from './startProgram.js';

// The whole program: the CLI and the three plugins (by the file name it was started as).
startProgram((argv) => main(argv));
