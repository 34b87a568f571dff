package cli

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/ccfacade/ccfacade/auth"
	"github.com/ccfacade/ccfacade/config"
	"github.com/ccfacade/ccfacade/engine"
	"github.com/ccfacade/ccfacade/gpconnect"
	"github.com/ccfacade/ccfacade/mappingsets"
)

// demoGPConnect is GP Connect as the built-in demo serves it: on, with
// the demo's ASID and the demo set's overlay.
func demoGPConnect() config.GPConnect {
	return config.GPConnect{Enabled: true, Path: gpconnect.DefaultPath, ASID: demoASID, Overlay: config.BuiltinPrefix + "demo"}
}

// gpconnectService makes the GP Connect service the configuration asks
// for, and logs what it offers.
func gpconnectService(cfg *config.Config, eng *engine.Engine, log *slog.Logger) (*gpconnect.Service, error) {
	g := cfg.GPConnect
	var areas []gpconnect.Area
	if g.Areas != nil {
		var err error
		if areas, err = gpconnect.ParseAreas(g.Areas); err != nil {
			return nil, err
		}
	}
	overlay, err := loadOverlay(g.Overlay, cfg.Mappings)
	if err != nil {
		return nil, err
	}
	svc, err := gpconnect.New(eng, gpconnect.Options{Path: g.Path, ASID: g.ASID, PractitionerIdentifier: g.PractitionerIdentifier,
		Areas: areas, Overlay: overlay, Practices: g.Practices, Location: cfg.Location(), SoftwareVersion: Version, Logger: log})
	if err != nil {
		return nil, err
	}
	log.Info("GP Connect Access Record: Structured", "path", svc.Path(), "asid", g.ASID, "areas", strings.Join(svc.Offered(), ","))
	for _, w := range svc.Withheld() {
		log.Warn("GP Connect: an area configured is not offered (answered with a NOT_IMPLEMENTED warning)", "area", w)
	}
	return svc, nil
}

// loadOverlay reads a GP Connect overlay: a file, or builtin:NAME (a
// shipped set's); with none named, the shipped set's when the mappings are
// a shipped set, else none.
func loadOverlay(spec, mappings string) (*gpconnect.Overlay, error) {
	if spec == "" {
		name, ok := strings.CutPrefix(mappings, config.BuiltinPrefix)
		if !ok {
			return nil, nil
		}
		b, ok := mappingsets.GPConnectOverlay(name)
		if !ok {
			return nil, nil
		}
		return gpconnect.ParseOverlay("mappingsets/gpconnect/"+name+".yaml", b)
	}
	if name, ok := strings.CutPrefix(spec, config.BuiltinPrefix); ok {
		b, ok := mappingsets.GPConnectOverlay(name)
		if !ok {
			return nil, fmt.Errorf("gpconnect.overlay: no shipped overlay %q (shipped: demo)", name)
		}
		return gpconnect.ParseOverlay("mappingsets/gpconnect/"+name+".yaml", b)
	}
	b, err := os.ReadFile(spec)
	if err != nil {
		return nil, fmt.Errorf("gpconnect.overlay: %w", err)
	}
	return gpconnect.ParseOverlay(spec, b)
}

// gpcToken prints an unsigned GP Connect audit token (alg none, valid for
// the 300 seconds GP Connect allows) for the interaction (record or
// metadata), as a consumer sends it through the Spine Security Proxy,
// and on stderr the Ssp- headers to send with it to the demo.
func gpcToken(what string, stdout, stderr io.Writer) error {
	interaction, scope := auth.GPConnectStructuredInteraction, auth.GPConnectPatientScope
	switch what {
	case "record":
	case "metadata":
		interaction, scope = auth.GPConnectMetadataInteraction, auth.GPConnectOrganizationScope
	default:
		return &usageError{fmt.Sprintf("-gpconnect is record or metadata, not %q", what)}
	}
	now := time.Now().Unix()
	claims := map[string]any{
		"iss": "https://consumer.ccfacade.invalid", "sub": "demo-practitioner", "aud": "https://provider.ccfacade.invalid" + gpconnect.DefaultPath,
		"exp": now + 300, "iat": now, "reason_for_request": "directcare", "requested_scope": scope + " conf/N",
		"requesting_device": map[string]any{"resourceType": "Device",
			"identifier": []any{map[string]any{"system": "https://consumer.ccfacade.invalid/Id/device", "value": "demo-consumer"}},
			"model":      "ccfacade token", "version": Version},
		"requesting_organization": map[string]any{"resourceType": "Organization",
			"identifier": []any{map[string]any{"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "A81001"}}, "name": "Demo consumer"},
		"requesting_practitioner": map[string]any{"resourceType": "Practitioner", "id": "demo-practitioner",
			"identifier": []any{
				map[string]any{"system": "https://fhir.nhs.uk/Id/sds-user-id", "value": "G13579135"},
				map[string]any{"system": "https://fhir.nhs.uk/Id/sds-role-profile-id", "value": "UNK"},
			},
			"name": []any{map[string]any{"family": "Demo", "given": []any{"Consumer"}, "prefix": []any{"Dr"}}}},
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return err
	}
	enc := base64.RawURLEncoding
	fmt.Fprintln(stdout, enc.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`))+"."+enc.EncodeToString(payload)+".")
	fmt.Fprintf(stderr, "valid for 5 minutes; send with: -H 'Ssp-TraceID: %s' -H 'Ssp-From: %s' -H 'Ssp-To: %s' -H 'Ssp-InteractionID: %s'\n",
		newUUID(), demoConsumerASID, demoASID, interaction)
	return nil
}
