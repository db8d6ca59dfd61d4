/** The `ballador` executable's body: bin/ballador.js loads the bundle of this file (or it). */
import { main } from "./main.js";

await main(process.argv);
