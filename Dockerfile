# syntax=docker/dockerfile:1
# Build: docker build -t rundbrief .   (docker compose builds it for you)

FROM golang:1.27-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/rundbrief ./cmd/rundbrief

# Distroless: no shell, no package manager, runs as an unprivileged user.
# Time zone data and CA certificates are inside the binary and the image.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/rundbrief /usr/local/bin/rundbrief
COPY examples /examples
ENV RUNDBRIEF_OUTBOX=/outbox
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/rundbrief"]
CMD ["worker"]
