// nginx from Debian 12's packages (pinned by nginx-deb.tiny.lock), serving /srv/www on 127.0.0.1:PORT:
//   tinyrun recipes/nginx-deb.tiny.csx --load --arg port=8080
//   docker run --rm --network host nginx-deb && curl http://127.0.0.1:8080/
// WithRuntimeNeeds() gives nginx the passwd entry of its workers' user, nobody; the rest is nginx's own configuration:
// no daemon, logs on stderr, its pid and temporary files where the image has them. --arg runtimeNeeds=false builds it
// without, to see the hints (and the container's "getpwnam("nobody") failed").
var debian = Debian.Release("bookworm");
var port = Args.Get("port", "8080");

var nginx = From.Scratch()
    .Root(debian.Install("nginx"))
    .AddBinary("/usr/sbin/nginx")
    .WithLibs();
if (Args.Get("runtimeNeeds", "true") == "true") nginx = nginx.WithRuntimeNeeds();

nginx
    .AddText("/etc/nginx/nginx.conf", $$"""
        daemon off;
        pid /tmp/nginx.pid;
        error_log stderr notice;
        events { worker_connections 64; }
        http {
            include /etc/nginx/mime.types;
            access_log off;
            server {
                listen 127.0.0.1:{{port}};
                root /srv/www;
            }
        }
        """)
    .AddFile("/etc/nginx/mime.types", "/etc/nginx/mime.types")
    // nginx creates its temporary directories (/var/lib/nginx/body...) at start, but not their parent; and logs to /var/log/nginx until it has read its configuration.
    .MkDir("/var/lib/nginx")
    .MkDir("/var/log/nginx")
    .WithTmp()
    .AddText("/srv/www/index.html", "<h1>nginx from Debian packages in a scratch image</h1>\n")
    .Entrypoint("/usr/sbin/nginx")
    .Expose(int.Parse(port))
    .Tag("nginx-deb:latest")
    .Test("checks its configuration", "/usr/sbin/nginx -t", expectExitCode: 0);
