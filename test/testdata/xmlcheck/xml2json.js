// Reads a JSON array of FHIR STU3 XML documents on standard input and
// writes the JSON array of the resources FHIR.js parses them into, using
// the STU3 core definitions in the folder given as the first argument
// (or, when it is "r4", reads FHIR R4 with the R4 definitions FHIR.js
// ships). It is the facade's XML checked by a parser of someone else's
// making.
const {Fhir} = require('fhir');
const {ParseConformance} = require('fhir/parseConformance');
const dir = process.argv[2];
let fhir;
if (dir === 'r4') {
  fhir = new Fhir();
} else {
  const pc = new ParseConformance(false, 'STU3');
  pc.parseBundle(require(dir + '/profiles-types.json'));
  pc.parseBundle(require(dir + '/profiles-resources.json'));
  fhir = new Fhir(pc);
}
let input = '';
process.stdin.on('data', d => input += d);
process.stdin.on('end', () => {
  const out = JSON.parse(input).map(xml => {
    try {
      return fhir.xmlToObj(xml);
    } catch (e) {
      return {error: String(e)};
    }
  });
  process.stdout.write(JSON.stringify(out));
});
