// iconv with the gconv modules for Latin-9 and Windows-1252 (UTF-8 is built into libc).
//   printf '\xa4uro\n' | docker run --rm -i --network none iconv -f ISO-8859-15 -t UTF-8
From.Scratch()
    .AddBinary("/usr/bin/iconv")
    .WithLibs()
    .WithGconv(["ISO-8859-15", "CP1252"])
    .Entrypoint("/usr/bin/iconv")
    .Tag("iconv:latest");
