module example.com/obsdemo

go 1.21
