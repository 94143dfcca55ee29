# syntax=docker/dockerfile:1
# A hand-written peer for the static site (integration/testdata/static-public):
# Debian's nginx set up the way nginx-unprivileged images are, as the
# yardstick safe-static is measured against. Numeric non-root user, port
# 18090 (the benchmark's), read-only root (pid and temp files on /dev/shm, logs to the
# terminal), sendfile, gzip variants made at build time (gzip_static), long
# caching for the hashed stylesheet.
FROM debian:trixie-slim
RUN --mount=type=secret,id=ca,target=/run/secrets/ca.pem \
    apt-get update -o Acquire::https::CAInfo=/run/secrets/ca.pem \
 && apt-get install -y --no-install-recommends nginx \
 && rm -rf /var/lib/apt/lists/* /etc/nginx/sites-enabled /usr/share/nginx/html/* \
 && ln -sf /dev/stdout /var/log/nginx/access.log && ln -sf /dev/stderr /var/log/nginx/error.log
COPY <<'CONF' /etc/nginx/nginx.conf
worker_processes auto;
pid /dev/shm/nginx.pid;
error_log stderr warn;
events { worker_connections 1024; }
http {
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  client_body_temp_path /dev/shm/client_body;
  proxy_temp_path /dev/shm/proxy;
  fastcgi_temp_path /dev/shm/fastcgi;
  uwsgi_temp_path /dev/shm/uwsgi;
  scgi_temp_path /dev/shm/scgi;
  access_log /dev/stdout;
  sendfile on;
  tcp_nopush on;
  keepalive_timeout 65;
  server_tokens off;
  gzip_static on;
  server {
    listen 18090;
    root /usr/share/nginx/html;
    add_header X-Content-Type-Options nosniff always;
    add_header Content-Security-Policy "default-src 'self'; frame-ancestors 'none'" always;
    location /assets/ { add_header Cache-Control "public, max-age=31536000, immutable"; add_header X-Content-Type-Options nosniff always; }
    location = /healthz { access_log off; return 200 "ok\n"; }
    location ~ /\. { return 404; }
    error_page 404 /404.html;
  }
}
CONF
COPY public/ /usr/share/nginx/html/
RUN find /usr/share/nginx/html -name '.*' -prune -exec rm -rf {} + \
 && find /usr/share/nginx/html -type f \( -name '*.html' -o -name '*.css' -o -name '*.js' \) -exec gzip -9 -k -n {} + \
 && chmod -R a+rX /usr/share/nginx/html
USER 101:101
EXPOSE 18090
STOPSIGNAL SIGQUIT
CMD ["nginx", "-e", "stderr", "-g", "daemon off;"]
