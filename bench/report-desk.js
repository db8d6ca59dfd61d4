/**
 * Child of bench/sections/report.js: the report desk of one run folder, polled as a supervisor
 * polls it (every 250 ms, the inbox's reports too; every 25 ms while a check it asked is due). argv: <run folder>. On SIGTERM it prints
 * one JSON document: the CPU (user + system, ms) its polls took in all, the answered polls' share,
 * and how many requests it answered, so the section can add the supervisor's part of a `done`.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { runFolder, takeReports } from "../dist/adapters/runfolder/index.js";
import { ReportDesk } from "../dist/run/supervise/desk.js";

const [runDir] = process.argv.slice(2);
const spec = JSON.parse(readFileSync(join(runDir, "run.json"), "utf8"));
const desk = new ReportDesk({ spec, paths: runFolder(runDir) });
let busyUs = 0;
let idleUs = 0;
let idlePolls = 0;
let answered = 0;
let timer;
const poll = () => {
  const before = process.cpuUsage();
  const taken = desk.take();
  takeReports(runDir);
  const used = process.cpuUsage(before);
  const us = used.user + used.system;
  if (taken.length > 0) {
    answered += taken.length;
    busyUs += us;
  } else {
    idleUs += us;
    idlePolls++;
  }
  timer = setTimeout(poll, desk.awaitingCheck() ? 25 : 250);
};
timer = setTimeout(poll, 250);
process.on("SIGTERM", () => {
  clearTimeout(timer);
  process.stdout.write(
    `${JSON.stringify({ busyMs: busyUs / 1000, idleMs: idleUs / 1000, idlePolls, answered })}\n`,
  );
  process.exit(0);
});
process.stdout.write("ready\n");
