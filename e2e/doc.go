// Package e2e runs secpipe's pipelines as separate processes against a
// real Jaeger and checks the traces it stores: one trace per event, with
// every stage's span in its place, across processes and Kafka topics.
// The tests have the build tag e2e, so that go test ./... leaves them out:
//
//	make e2e
//
// or, with the binaries built (bin/jaeger by make jaeger):
//
//	SECPIPE=$PWD/bin/secpipe JAEGER=$PWD/bin/jaeger go test -tags e2e ./e2e/ -v
package e2e
