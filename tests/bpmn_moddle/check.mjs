// Load each BPMN file given on the command line with bpmn-moddle, the model behind bpmn.io,
// and print {file: [warning messages]} as JSON. Exit 0 even with warnings: the test decides.
import { readFile } from 'node:fs/promises';
import { BpmnModdle } from 'bpmn-moddle';

const moddle = new BpmnModdle();
const report = {};
for (const path of process.argv.slice(2)) {
  const xml = await readFile(path, 'utf8');
  try {
    const { warnings } = await moddle.fromXML(xml, 'bpmn:Definitions');
    report[path] = warnings.map((warning) => warning.message);
  } catch (error) {
    report[path] = [`not readable: ${error.message}`];
  }
}
console.log(JSON.stringify(report, null, 2));
