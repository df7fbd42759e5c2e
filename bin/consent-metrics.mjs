#!/usr/bin/env node
// The installed command: compiled JavaScript only (`npm run build` makes dist/; `npm ci` runs it).
import '../dist/cli/bundle/main.js';
