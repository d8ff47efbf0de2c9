# seedgate: a static, pure-Go binary (goolm, modernc SQLite) on a small base with a shell for the
# first-run entrypoint. Build: docker build -t seedgate --build-arg VERSION=$(git describe --always) .
# Run:   docker run --rm -v seedgate-data:/data -p 29340:29340 seedgate
#        (the first runs write /data/config.yaml, then /data/registration.yaml, and exit with what to do next)

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG COMMIT=unknown
RUN CGO_ENABLED=0 go build -tags goolm -trimpath \
      -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT}" \
      -o /out/seedgate ./cmd/seedgate

FROM alpine:3.21
RUN apk add --no-cache ca-certificates tzdata \
 && addgroup -S -g 1337 seedgate \
 && adduser -S -D -H -u 1337 -G seedgate -h /data seedgate \
 && install -d -o seedgate -g seedgate -m 0700 /data
COPY --from=build /out/seedgate /usr/local/bin/seedgate
COPY contrib/docker-run.sh /usr/local/bin/docker-run.sh
USER seedgate:seedgate
WORKDIR /data
VOLUME /data
EXPOSE 29340
HEALTHCHECK --interval=30s --timeout=5s CMD wget -q -O /dev/null http://127.0.0.1:29340/_matrix/mau/live || exit 1
ENTRYPOINT ["/usr/local/bin/docker-run.sh"]
