module libembedding/embedding

go 1.19
