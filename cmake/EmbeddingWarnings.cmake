# Compiler flags shared by every target of the project.
#
# -ffp-contract=off keeps a * b + c as two rounded operations: the kernels
# promise bit-identical results to the reference loop, and the seeded
# initialisation promises the same tables on every machine, which an FMA
# chosen by the compiler on one build and not another would break.
add_compile_options(-Wall -Wextra -Wshadow -Wstrict-prototypes
                    -Wmissing-prototypes -Wno-unused-parameter
                    -ffp-contract=off -fno-math-errno)
