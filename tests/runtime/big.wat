(module (memory (export "memory") 2))
