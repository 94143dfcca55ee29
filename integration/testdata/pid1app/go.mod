module example.com/pid1app

go 1.26
