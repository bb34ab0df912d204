package apispec

import (
	_ "embed"
	"encoding/json"
	"sync"
)

// base is the compact form of the OpenAPI document ouraexport was built
// from (openapi-1.35), as internal/tools/specgen writes it; a test checks
// it is testdata/oura/models_v2.json.
//
//go:embed base.json
var base []byte

var baseSpec = sync.OnceValues(func() (*Spec, error) {
	var s Spec
	err := json.Unmarshal(base, &s)
	return &s, err
})

// Base returns the spec ouraexport was built from. It panics if the
// embedded copy does not decode (a build error every test run catches).
func Base() *Spec {
	s, err := baseSpec()
	if err != nil {
		panic("apispec: the embedded base.json does not decode: " + err.Error())
	}
	return s
}
