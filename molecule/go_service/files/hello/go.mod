module gohost.test/hello

go 1.22
