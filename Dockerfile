# syntax=docker/dockerfile:1
# Fidamia gRPC service. Base images are build arguments so a build can substitute
# local or mirrored images for the official ones.
ARG SDK_IMAGE=mcr.microsoft.com/dotnet/sdk:10.0
ARG RUNTIME_IMAGE=mcr.microsoft.com/dotnet/aspnet:10.0

FROM ${SDK_IMAGE} AS build
WORKDIR /src
ENV DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
# Restore first, from the project files only, so the package layer is cached across code changes. That layer
# needs every project the server references, transitively, and every file they import: publish --no-restore
# fails with NETSDK1004 on any left out (tests/Fidamia.UnitTests/Server/DockerfileTests.cs checks the list).
COPY Directory.Build.props Directory.Packages.props global.json ./
COPY models/models.targets models/
COPY src/Fidamia.Core/Fidamia.Core.csproj src/Fidamia.Core/
COPY src/Fidamia.Imaging/Fidamia.Imaging.csproj src/Fidamia.Imaging/
COPY src/Fidamia.Inference/Fidamia.Inference.csproj src/Fidamia.Inference/
COPY src/Fidamia.Gis/Fidamia.Gis.csproj src/Fidamia.Gis/
COPY src/Fidamia.Routing/Fidamia.Routing.csproj src/Fidamia.Routing/
COPY src/Fidamia.Storage/Fidamia.Storage.csproj src/Fidamia.Storage/
COPY src/Fidamia.Storage.Postgres/Fidamia.Storage.Postgres.csproj src/Fidamia.Storage.Postgres/
COPY src/Fidamia.Security/Fidamia.Security.csproj src/Fidamia.Security/
COPY src/Fidamia.Server/Fidamia.Server.csproj src/Fidamia.Server/
# No build servers (MSBuild nodes, the compiler server): a builder that runs steps without a container
# of their own (buildah --isolation chroot) would leave them running for 15 minutes after the step.
RUN dotnet restore src/Fidamia.Server/Fidamia.Server.csproj -r linux-x64 --disable-build-servers
COPY . .
# A RuntimeIdentifier keeps only Linux x64's native ONNX Runtime (48 MB instead of 243 MB).
RUN dotnet publish src/Fidamia.Server/Fidamia.Server.csproj -c Release -r linux-x64 --self-contained false --no-restore \
    --disable-build-servers -o /app

FROM ${RUNTIME_IMAGE} AS runtime
WORKDIR /app
COPY --from=build /app ./
# State lives outside the application folder, owned by the unprivileged user.
RUN mkdir -p /var/lib/fidamia && chown 10001:10001 /var/lib/fidamia
# Every setting can be given as an environment variable, sections joined by "__" (Auth__Authority, Storage__Provider...).
# Logs are JSON lines on stdout, with trace ids, for the cluster's log collector.
ENV DataDirectory=/var/lib/fidamia \
    Kestrel__Endpoints__Grpc__Url=http://0.0.0.0:5080 \
    Kestrel__Endpoints__Http__Url=http://0.0.0.0:5081 \
    Logging__Console__FormatterName=json \
    DOTNET_CLI_TELEMETRY_OPTOUT=1
EXPOSE 5080 5081
# Liveness on the HTTP port, wherever Kestrel__Endpoints__Http__Url puts it. The runtime image has no curl: bash's
# /dev/tcp speaks the one HTTP/1.1 request. The start period covers the model's load and warm-up.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["bash", "-c", "url=${Kestrel__Endpoints__Http__Url:-http://0.0.0.0:5081}; port=${url##*:}; exec 3<>/dev/tcp/127.0.0.1/${port%%/*} && printf 'GET /healthz HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]
USER 10001:10001
VOLUME ["/var/lib/fidamia"]
ENTRYPOINT ["dotnet", "/app/Fidamia.Server.dll"]
