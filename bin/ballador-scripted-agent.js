#!/usr/bin/env node
// Launcher only: the code is compiled from src/scripted-agent into dist/ by `npm run build`.
import { main } from "../dist/scripted-agent/main.js";

process.exitCode = await main(process.argv.slice(2));
