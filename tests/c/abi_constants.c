/*
 * abi_constants.c: prints, one `NAME VALUE` line each, every ABI fact of
 * an mpi.h that can be printed: the value and C type of each constant and
 * predefined handle, what each predefined callback points to, the size and
 * type of each handle and integer type, and the layout of the status
 * structs. It makes no MPI call and links with no MPI library.
 *
 * tests/abi.rs compiles it twice, once against shmpi's header and once
 * against MPICH's, and requires the two outputs to be identical. It needs
 * C11 (_Generic).
 */

#include <mpi.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The C type of an expression, as a word. */
#define TYPE_NAME(x) _Generic((x),                 \
    char: "char",                                  \
    short: "short",                                \
    int: "int",                                    \
    unsigned: "unsigned",                          \
    long: "long",                                  \
    unsigned long: "unsigned_long",                \
    long long: "long_long",                        \
    unsigned long long: "unsigned_long_long",      \
    void *: "void*",                               \
    int *: "int*",                                 \
    char **: "char**",                             \
    char ***: "char***",                           \
    MPI_Status *: "MPI_Status*",                   \
    MPI_File: "MPI_File",                          \
    default: "other")

/* An integer constant or handle: its value and its type. */
#define INT(x) printf("%s %ld %s\n", #x, (long)(x), TYPE_NAME(x))

/* An address constant: its value and its type. */
#define PTR(x) printf("%s %ld %s\n", #x, (long)(intptr_t)(x), TYPE_NAME(x))

/* A predefined callback: null, the library's MPIR_Dup_fn, or another. */
#define FN(x) printf("%s %s\n", #x, callback_name((void (*)(void))(x)))

/* A type: its size and, for an arithmetic type, which C type it is. */
#define TYPE(t) printf("sizeof(%s) %zu\ntype(%s) %s\n", #t, sizeof(t), #t, TYPE_NAME((t)0))

/* The struct tag behind a typedef: C++ mangles it into the names of
 * functions that take the type, so it is part of the ABI of C++ code. */
#define TAG(name, pointer, tag) \
    printf("tag(%s) %s\n", name, _Generic((pointer)0, struct tag *: #tag, default: "other"))

/* The size of a struct and the offset of each of its fields. */
#define SIZE(t) printf("sizeof(%s) %zu\n", #t, sizeof(t))
#define FIELD(t, f) printf("offsetof(%s,%s) %zu\n", #t, #f, offsetof(t, f))

/*
 * The symbols the header refers to, defined here with the types MPICH
 * gives them: a header that declared any of them with another type would
 * not compile. The values are this program's own and are not printed.
 */
static int unweighted_marker, weights_empty_marker;
int *const MPI_UNWEIGHTED = &unweighted_marker;
int *const MPI_WEIGHTS_EMPTY = &weights_empty_marker;
MPI_Fint *MPI_F_STATUS_IGNORE = 0;
MPI_Fint *MPI_F_STATUSES_IGNORE = 0;
MPI_F08_status *MPI_F08_STATUS_IGNORE = 0;
MPI_F08_status *MPI_F08_STATUSES_IGNORE = 0;

int MPIR_Dup_fn(MPI_Comm oldcomm, int keyval, void *extra_state, void *attribute_val_in,
                void *attribute_val_out, int *flag)
{
    (void)oldcomm;
    (void)keyval;
    (void)extra_state;
    *(void **)attribute_val_out = attribute_val_in;
    *flag = 1;
    return MPI_SUCCESS;
}

static const char *callback_name(void (*f)(void))
{
    if (f == 0)
        return "null";
    if (f == (void (*)(void))MPIR_Dup_fn)
        return "MPIR_Dup_fn";
    return "other";
}

int main(void)
{
    /* Integer and handle types */
    TYPE(MPI_Aint);
    TYPE(MPI_Offset);
    TYPE(MPI_Count);
    TYPE(MPI_Fint);
    TYPE(MPI_Comm);
    TYPE(MPI_Group);
    TYPE(MPI_Datatype);
    TYPE(MPI_Op);
    TYPE(MPI_Errhandler);
    TYPE(MPI_Request);
    TYPE(MPI_Message);
    TYPE(MPI_Info);
    TYPE(MPI_Win);
    TYPE(MPI_Session);
    TYPE(MPI_File);

    /* Struct tags */
    TAG("MPI_Status", MPI_Status *, MPI_Status);
    TAG("MPI_File", MPI_File, ADIOI_FileD);

    /* Status layouts */
    SIZE(MPI_Status);
    FIELD(MPI_Status, MPI_SOURCE);
    FIELD(MPI_Status, MPI_TAG);
    FIELD(MPI_Status, MPI_ERROR);
    FIELD(MPI_Status, count_lo);
    FIELD(MPI_Status, count_hi_and_cancelled);
    SIZE(MPI_F08_status);
    FIELD(MPI_F08_status, MPI_SOURCE);
    FIELD(MPI_F08_status, MPI_TAG);
    FIELD(MPI_F08_status, MPI_ERROR);
    FIELD(MPI_F08_status, count_lo);
    FIELD(MPI_F08_status, count_hi_and_cancelled);

    /* Positions in a Fortran status array */
    INT(MPI_F_STATUS_SIZE);
    INT(MPI_F_SOURCE);
    INT(MPI_F_TAG);
    INT(MPI_F_ERROR);

    /* Null handles */
    INT(MPI_COMM_NULL);
    INT(MPI_GROUP_NULL);
    INT(MPI_DATATYPE_NULL);
    INT(MPI_ERRHANDLER_NULL);
    INT(MPI_OP_NULL);
    INT(MPI_INFO_NULL);
    INT(MPI_WIN_NULL);
    INT(MPI_REQUEST_NULL);
    INT(MPI_MESSAGE_NULL);
    INT(MPI_SESSION_NULL);
    PTR(MPI_FILE_NULL);
    INT(MPI_MESSAGE_NO_PROC);

    /* Predefined communicators, group, info and error handlers */
    INT(MPI_COMM_WORLD);
    INT(MPI_COMM_SELF);
    INT(MPI_GROUP_EMPTY);
    INT(MPI_INFO_ENV);
    INT(MPI_ERRORS_ARE_FATAL);
    INT(MPI_ERRORS_RETURN);
    INT(MPI_ERRORS_ABORT);

    /* Predefined datatypes */
    INT(MPI_CHAR);
    INT(MPI_SIGNED_CHAR);
    INT(MPI_UNSIGNED_CHAR);
    INT(MPI_BYTE);
    INT(MPI_WCHAR);
    INT(MPI_SHORT);
    INT(MPI_UNSIGNED_SHORT);
    INT(MPI_INT);
    INT(MPI_UNSIGNED);
    INT(MPI_LONG);
    INT(MPI_UNSIGNED_LONG);
    INT(MPI_LONG_LONG_INT);
    INT(MPI_LONG_LONG);
    INT(MPI_UNSIGNED_LONG_LONG);
    INT(MPI_FLOAT);
    INT(MPI_DOUBLE);
    INT(MPI_LONG_DOUBLE);
    INT(MPI_PACKED);
    INT(MPI_LB);
    INT(MPI_UB);
    INT(MPI_INT8_T);
    INT(MPI_INT16_T);
    INT(MPI_INT32_T);
    INT(MPI_INT64_T);
    INT(MPI_UINT8_T);
    INT(MPI_UINT16_T);
    INT(MPI_UINT32_T);
    INT(MPI_UINT64_T);
    INT(MPI_C_BOOL);
    INT(MPI_C_FLOAT_COMPLEX);
    INT(MPI_C_COMPLEX);
    INT(MPI_C_DOUBLE_COMPLEX);
    INT(MPI_C_LONG_DOUBLE_COMPLEX);
    INT(MPI_AINT);
    INT(MPI_OFFSET);
    INT(MPI_COUNT);
    INT(MPI_CXX_BOOL);
    INT(MPI_CXX_FLOAT_COMPLEX);
    INT(MPI_CXX_DOUBLE_COMPLEX);
    INT(MPI_CXX_LONG_DOUBLE_COMPLEX);
    INT(MPI_FLOAT_INT);
    INT(MPI_DOUBLE_INT);
    INT(MPI_LONG_INT);
    INT(MPI_SHORT_INT);
    INT(MPI_LONG_DOUBLE_INT);
    INT(MPI_2INT);
    INT(MPI_CHARACTER);
    INT(MPI_LOGICAL);
    INT(MPI_INTEGER);
    INT(MPI_REAL);
    INT(MPI_DOUBLE_PRECISION);
    INT(MPI_COMPLEX);
    INT(MPI_DOUBLE_COMPLEX);
    INT(MPI_2INTEGER);
    INT(MPI_2REAL);
    INT(MPI_2DOUBLE_PRECISION);
    INT(MPI_INTEGER1);
    INT(MPI_INTEGER2);
    INT(MPI_INTEGER4);
    INT(MPI_INTEGER8);
    INT(MPI_INTEGER16);
    INT(MPI_REAL4);
    INT(MPI_REAL8);
    INT(MPI_REAL16);
    INT(MPI_COMPLEX8);
    INT(MPI_COMPLEX16);
    INT(MPI_COMPLEX32);
    INT(MPI_TYPECLASS_REAL);
    INT(MPI_TYPECLASS_INTEGER);
    INT(MPI_TYPECLASS_COMPLEX);
    INT(MPI_COMBINER_NAMED);
    INT(MPI_COMBINER_DUP);
    INT(MPI_COMBINER_CONTIGUOUS);
    INT(MPI_COMBINER_VECTOR);
    INT(MPI_COMBINER_HVECTOR_INTEGER);
    INT(MPI_COMBINER_HVECTOR);
    INT(MPI_COMBINER_INDEXED);
    INT(MPI_COMBINER_HINDEXED_INTEGER);
    INT(MPI_COMBINER_HINDEXED);
    INT(MPI_COMBINER_INDEXED_BLOCK);
    INT(MPI_COMBINER_STRUCT_INTEGER);
    INT(MPI_COMBINER_STRUCT);
    INT(MPI_COMBINER_SUBARRAY);
    INT(MPI_COMBINER_DARRAY);
    INT(MPI_COMBINER_F90_REAL);
    INT(MPI_COMBINER_F90_COMPLEX);
    INT(MPI_COMBINER_F90_INTEGER);
    INT(MPI_COMBINER_RESIZED);
    INT(MPI_COMBINER_HINDEXED_BLOCK);
    INT(MPI_ORDER_C);
    INT(MPI_ORDER_FORTRAN);
    INT(MPI_DISTRIBUTE_BLOCK);
    INT(MPI_DISTRIBUTE_CYCLIC);
    INT(MPI_DISTRIBUTE_NONE);
    INT(MPI_DISTRIBUTE_DFLT_DARG);

    /* Predefined reduction operations */
    INT(MPI_MAX);
    INT(MPI_MIN);
    INT(MPI_SUM);
    INT(MPI_PROD);
    INT(MPI_LAND);
    INT(MPI_BAND);
    INT(MPI_LOR);
    INT(MPI_BOR);
    INT(MPI_LXOR);
    INT(MPI_BXOR);
    INT(MPI_MINLOC);
    INT(MPI_MAXLOC);
    INT(MPI_REPLACE);
    INT(MPI_NO_OP);

    /* Ranks, tags and other special values */
    INT(MPI_PROC_NULL);
    INT(MPI_ANY_SOURCE);
    INT(MPI_ROOT);
    INT(MPI_ANY_TAG);
    INT(MPI_UNDEFINED);
    INT(MPI_KEYVAL_INVALID);
    INT(MPI_BSEND_OVERHEAD);
    INT(MPI_IDENT);
    INT(MPI_CONGRUENT);
    INT(MPI_SIMILAR);
    INT(MPI_UNEQUAL);
    INT(MPI_THREAD_SINGLE);
    INT(MPI_THREAD_FUNNELED);
    INT(MPI_THREAD_SERIALIZED);
    INT(MPI_THREAD_MULTIPLE);
    INT(MPI_GRAPH);
    INT(MPI_CART);
    INT(MPI_DIST_GRAPH);
    INT(MPI_COMM_TYPE_SHARED);
    INT(MPI_COMM_TYPE_HW_GUIDED);
    INT(MPI_COMM_TYPE_HW_UNGUIDED);

    /* Predefined attribute keys */
    INT(MPI_TAG_UB);
    INT(MPI_HOST);
    INT(MPI_IO);
    INT(MPI_WTIME_IS_GLOBAL);
    INT(MPI_UNIVERSE_SIZE);
    INT(MPI_LASTUSEDCODE);
    INT(MPI_APPNUM);
    INT(MPI_WIN_BASE);
    INT(MPI_WIN_SIZE);
    INT(MPI_WIN_DISP_UNIT);
    INT(MPI_WIN_CREATE_FLAVOR);
    INT(MPI_WIN_MODEL);

    /* Lengths of strings, terminating NUL included */
    INT(MPI_MAX_PROCESSOR_NAME);
    INT(MPI_MAX_LIBRARY_VERSION_STRING);
    INT(MPI_MAX_ERROR_STRING);
    INT(MPI_MAX_PORT_NAME);
    INT(MPI_MAX_OBJECT_NAME);
    INT(MPI_MAX_INFO_KEY);
    INT(MPI_MAX_INFO_VAL);
    INT(MPI_MAX_DATAREP_STRING);
    INT(MPI_MAX_STRINGTAG_LEN);
    INT(MPI_MAX_PSET_NAME_LEN);

    /* Special addresses */
    PTR(MPI_BOTTOM);
    PTR(MPI_IN_PLACE);
    PTR(MPI_STATUS_IGNORE);
    PTR(MPI_STATUSES_IGNORE);
    PTR(MPI_ERRCODES_IGNORE);
    PTR(MPI_ARGV_NULL);
    PTR(MPI_ARGVS_NULL);

    /* One-sided communication */
    INT(MPI_LOCK_EXCLUSIVE);
    INT(MPI_LOCK_SHARED);
    INT(MPI_MODE_NOCHECK);
    INT(MPI_MODE_NOSTORE);
    INT(MPI_MODE_NOPUT);
    INT(MPI_MODE_NOPRECEDE);
    INT(MPI_MODE_NOSUCCEED);
    INT(MPI_WIN_FLAVOR_CREATE);
    INT(MPI_WIN_FLAVOR_ALLOCATE);
    INT(MPI_WIN_FLAVOR_DYNAMIC);
    INT(MPI_WIN_FLAVOR_SHARED);
    INT(MPI_WIN_SEPARATE);
    INT(MPI_WIN_UNIFIED);

    /* MPI-IO */
    INT(MPI_MODE_CREATE);
    INT(MPI_MODE_RDONLY);
    INT(MPI_MODE_WRONLY);
    INT(MPI_MODE_RDWR);
    INT(MPI_MODE_DELETE_ON_CLOSE);
    INT(MPI_MODE_UNIQUE_OPEN);
    INT(MPI_MODE_EXCL);
    INT(MPI_MODE_APPEND);
    INT(MPI_MODE_SEQUENTIAL);
    INT(MPI_SEEK_SET);
    INT(MPI_SEEK_CUR);
    INT(MPI_SEEK_END);
    INT(MPI_DISPLACEMENT_CURRENT);
    INT(MPIO_REQUEST_NULL);

    /* Error classes */
    INT(MPI_SUCCESS);
    INT(MPI_ERR_BUFFER);
    INT(MPI_ERR_COUNT);
    INT(MPI_ERR_TYPE);
    INT(MPI_ERR_TAG);
    INT(MPI_ERR_COMM);
    INT(MPI_ERR_RANK);
    INT(MPI_ERR_ROOT);
    INT(MPI_ERR_GROUP);
    INT(MPI_ERR_OP);
    INT(MPI_ERR_TOPOLOGY);
    INT(MPI_ERR_DIMS);
    INT(MPI_ERR_ARG);
    INT(MPI_ERR_UNKNOWN);
    INT(MPI_ERR_TRUNCATE);
    INT(MPI_ERR_OTHER);
    INT(MPI_ERR_INTERN);
    INT(MPI_ERR_IN_STATUS);
    INT(MPI_ERR_PENDING);
    INT(MPI_ERR_REQUEST);
    INT(MPI_ERR_ACCESS);
    INT(MPI_ERR_AMODE);
    INT(MPI_ERR_BAD_FILE);
    INT(MPI_ERR_CONVERSION);
    INT(MPI_ERR_DUP_DATAREP);
    INT(MPI_ERR_FILE_EXISTS);
    INT(MPI_ERR_FILE_IN_USE);
    INT(MPI_ERR_FILE);
    INT(MPI_ERR_INFO);
    INT(MPI_ERR_INFO_KEY);
    INT(MPI_ERR_INFO_VALUE);
    INT(MPI_ERR_INFO_NOKEY);
    INT(MPI_ERR_IO);
    INT(MPI_ERR_NAME);
    INT(MPI_ERR_NO_MEM);
    INT(MPI_ERR_NOT_SAME);
    INT(MPI_ERR_NO_SPACE);
    INT(MPI_ERR_NO_SUCH_FILE);
    INT(MPI_ERR_PORT);
    INT(MPI_ERR_QUOTA);
    INT(MPI_ERR_READ_ONLY);
    INT(MPI_ERR_SERVICE);
    INT(MPI_ERR_SPAWN);
    INT(MPI_ERR_UNSUPPORTED_DATAREP);
    INT(MPI_ERR_UNSUPPORTED_OPERATION);
    INT(MPI_ERR_WIN);
    INT(MPI_ERR_BASE);
    INT(MPI_ERR_LOCKTYPE);
    INT(MPI_ERR_KEYVAL);
    INT(MPI_ERR_RMA_CONFLICT);
    INT(MPI_ERR_RMA_SYNC);
    INT(MPI_ERR_SIZE);
    INT(MPI_ERR_DISP);
    INT(MPI_ERR_ASSERT);
    INT(MPI_ERR_RMA_RANGE);
    INT(MPI_ERR_RMA_ATTACH);
    INT(MPI_ERR_RMA_SHARED);
    INT(MPI_ERR_RMA_FLAVOR);
    INT(MPI_T_ERR_MEMORY);
    INT(MPI_T_ERR_NOT_INITIALIZED);
    INT(MPI_T_ERR_CANNOT_INIT);
    INT(MPI_T_ERR_INVALID_INDEX);
    INT(MPI_T_ERR_INVALID_ITEM);
    INT(MPI_T_ERR_INVALID_HANDLE);
    INT(MPI_T_ERR_OUT_OF_HANDLES);
    INT(MPI_T_ERR_OUT_OF_SESSIONS);
    INT(MPI_T_ERR_INVALID_SESSION);
    INT(MPI_T_ERR_CVAR_SET_NOT_NOW);
    INT(MPI_T_ERR_CVAR_SET_NEVER);
    INT(MPI_T_ERR_PVAR_NO_STARTSTOP);
    INT(MPI_T_ERR_PVAR_NO_WRITE);
    INT(MPI_T_ERR_PVAR_NO_ATOMIC);
    INT(MPI_T_ERR_INVALID_NAME);
    INT(MPI_T_ERR_INVALID);
    INT(MPI_ERR_SESSION);
    INT(MPI_ERR_PROC_ABORTED);
    INT(MPI_ERR_VALUE_TOO_LARGE);
    INT(MPI_T_ERR_NOT_SUPPORTED);
    INT(MPI_ERR_LASTCODE);

    /* Predefined callbacks */
    FN(MPI_NULL_COPY_FN);
    FN(MPI_NULL_DELETE_FN);
    FN(MPI_DUP_FN);
    FN(MPI_COMM_NULL_COPY_FN);
    FN(MPI_COMM_NULL_DELETE_FN);
    FN(MPI_COMM_DUP_FN);
    FN(MPI_TYPE_NULL_COPY_FN);
    FN(MPI_TYPE_NULL_DELETE_FN);
    FN(MPI_TYPE_DUP_FN);
    FN(MPI_WIN_NULL_COPY_FN);
    FN(MPI_WIN_NULL_DELETE_FN);
    FN(MPI_WIN_DUP_FN);
    FN(MPI_CONVERSION_FN_NULL);
    FN(MPI_CONVERSION_FN_NULL_C);

    /* Handle conversion macros (applied to 7) */
    INT(MPI_Comm_c2f(7));
    INT(MPI_Comm_f2c(7));
    INT(MPI_Group_c2f(7));
    INT(MPI_Group_f2c(7));
    INT(MPI_Type_c2f(7));
    INT(MPI_Type_f2c(7));
    INT(MPI_Op_c2f(7));
    INT(MPI_Op_f2c(7));
    INT(MPI_Errhandler_c2f(7));
    INT(MPI_Errhandler_f2c(7));
    INT(MPI_Request_c2f(7));
    INT(MPI_Request_f2c(7));
    INT(MPI_Message_c2f(7));
    INT(MPI_Message_f2c(7));
    INT(MPI_Info_c2f(7));
    INT(MPI_Info_f2c(7));
    INT(MPI_Win_c2f(7));
    INT(MPI_Win_f2c(7));
    INT(MPI_Session_c2f(7));
    INT(MPI_Session_f2c(7));
    INT(PMPI_Comm_c2f(7));
    INT(PMPI_Comm_f2c(7));
    INT(PMPI_Group_c2f(7));
    INT(PMPI_Group_f2c(7));
    INT(PMPI_Type_c2f(7));
    INT(PMPI_Type_f2c(7));
    INT(PMPI_Op_c2f(7));
    INT(PMPI_Op_f2c(7));
    INT(PMPI_Errhandler_c2f(7));
    INT(PMPI_Errhandler_f2c(7));
    INT(PMPI_Request_c2f(7));
    INT(PMPI_Request_f2c(7));
    INT(PMPI_Message_c2f(7));
    INT(PMPI_Message_f2c(7));
    INT(PMPI_Info_c2f(7));
    INT(PMPI_Info_f2c(7));
    INT(PMPI_Win_c2f(7));
    INT(PMPI_Win_f2c(7));
    INT(PMPI_Session_c2f(7));
    INT(PMPI_Session_f2c(7));

    /* Version of the standard */
    INT(MPI_VERSION);
    INT(MPI_SUBVERSION);
    return 0;
}
