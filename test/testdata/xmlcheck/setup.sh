#!/usr/bin/env bash
# Installs what the XML round-trip test reads the facade's XML back with:
# FHIR.js (npm package fhir 4.12.0) and the FHIR STU3 core definitions
# that FHIR.js 3.3.1 ships (profiles-types.json, profiles-resources.json),
# into the folder given (default: ~/.cache/ccfacade-fhirjs). Needs npm and
# the npm registry. Prints the folder.
set -euo pipefail
dir="${1:-${HOME}/.cache/ccfacade-fhirjs}"
mkdir -p "$dir"
cd "$dir"
if [ ! -d node_modules/fhir ] || [ ! -f stu3/profiles-resources.json ]; then
  [ -f package.json ] || npm init -y >/dev/null
  npm install fhir@4.12.0 --no-audit --no-fund --loglevel=error >/dev/null
  npm pack fhir@3.3.1 --loglevel=error >/dev/null
  tar xzf fhir-3.3.1.tgz package/profiles/stu3/profiles-types.json package/profiles/stu3/profiles-resources.json
  mkdir -p stu3
  mv package/profiles/stu3/profiles-types.json package/profiles/stu3/profiles-resources.json stu3/
  rm -rf package fhir-3.3.1.tgz
fi
echo "$dir"
