// Reads a JSON array of FHIR STU3 resources (JSON) on standard input,
// validates each with FHIR.js against the STU3 core definitions in the
// folder given as the first argument (the structure: elements known,
// cardinality, types; the folder holds no value sets, so codes are not
// checked), and writes a JSON array with, for each, the messages of
// severity error ("location: message").
const {Fhir} = require('fhir');
const {ParseConformance} = require('fhir/parseConformance');
const dir = process.argv[2];
const pc = new ParseConformance(false, 'STU3');
pc.parseBundle(require(dir + '/profiles-types.json'));
pc.parseBundle(require(dir + '/profiles-resources.json'));
const fhir = new Fhir(pc);
let input = '';
process.stdin.on('data', d => input += d);
process.stdin.on('end', () => {
  const out = JSON.parse(input).map(res => {
    try {
      const r = fhir.validate(res, {errorOnUnexpected: true});
      return r.messages.filter(m => m.severity === 'error').map(m => m.location + ': ' + m.message);
    } catch (e) {
      return [String(e)];
    }
  });
  process.stdout.write(JSON.stringify(out));
});
