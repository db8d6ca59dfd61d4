/** The scripted agent's executable body: bin/ballador-scripted-agent.js loads its bundle (or it). */
import { main } from "./main.js";

process.exitCode = await main(process.argv.slice(2));
