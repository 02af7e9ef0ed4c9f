module hood/bench

go 1.19
