# Multi-stage build: a static binary on a minimal base, run as a non-root
# user. The default command serves the built-in demo on port 8080.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /out/ccfacade ./cmd/ccfacade

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/ccfacade /usr/local/bin/ccfacade
USER nonroot:nonroot
# The built-in demo writes its SQLite file to the temporary directory.
ENV TMPDIR=/home/nonroot
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/ccfacade"]
CMD ["serve", "-listen", "0.0.0.0:8080", "-base-url", "http://127.0.0.1:8080/fhir"]
