// Shared building blocks for recipes: `#load "lib/common.tiny.csx"` and call them.

/// What a dynamically linked network program needs at run time besides its libraries:
/// CA certificates, name-service configuration, an unprivileged user and a /tmp.
ImageBuilder WithGlibcBase(ImageBuilder image, string user = "app", int uid = 65532) =>
    image.WithCaCertificates()
         .WithNss()
         .WithUser(user, uid)
         .WithTmp();
