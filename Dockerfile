# Multi-stage build: a static binary on a minimal base, run as a non-root
# user. The default command serves the built-in demo on port 8080.
#
#   docker build --build-arg VERSION=$(git describe --tags --always --dirty) -t ccfacade .
#
# The base images are pinned by exact version where one exists: the build
# stage by the Go release of go.mod. Distroless publishes no version tags,
# and no digest of it could be checked where this file was written, so the
# runtime image is its nonroot tag: pin it by digest for a reproducible
# image, e.g. with
#   docker buildx imagetools inspect gcr.io/distroless/static-debian12:nonroot
#   docker build --build-arg RUNTIME_IMAGE=gcr.io/distroless/static-debian12:nonroot@sha256:<digest> .
ARG GO_IMAGE=golang:1.26.8
ARG RUNTIME_IMAGE=gcr.io/distroless/static-debian12:nonroot

FROM ${GO_IMAGE} AS build
# The version `ccfacade version` prints, as make build stamps it.
ARG VERSION=dev
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -tags nomsgpack -trimpath \
    -ldflags "-s -w -X github.com/ccfacade/ccfacade/internal/cli.Version=${VERSION}" \
    -o /out/ccfacade ./cmd/ccfacade

FROM ${RUNTIME_IMAGE}
COPY --from=build /out/ccfacade /usr/local/bin/ccfacade
# distroless's nonroot user and group, by number: Kubernetes' runAsNonRoot
# can check only a numeric user (it refuses to start a pod otherwise).
USER 65532:65532
# The built-in demo writes its SQLite file to the temporary directory.
ENV TMPDIR=/home/nonroot
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/ccfacade"]
CMD ["serve", "-listen", "0.0.0.0:8080", "-base-url", "http://127.0.0.1:8080/fhir"]
