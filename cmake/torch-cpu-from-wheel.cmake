# libtorch from PyPI's torch wheel, CPU only (README.md "libtorch 2.x"). TTSD_TORCH_DIR is the wheel's torch/
# directory (make test-torch2 uses .venv/torch2's, from ./install-deps.sh --torch2).
#
# The wheel's TorchConfig.cmake would look for the CUDA toolkit and link libtorch.so, hence libtorch_cuda.so,
# cuBLAS, cuDNN and the rest. Every CPU operator and TorchScript itself are in libtorch_cpu.so and libc10.so,
# so only those two are linked. libtorch_cpu.so of a CUDA wheel also needs libcudart and libcupti (loaded, not
# used without a GPU); its own RPATH finds them in the nvidia wheels beside it (../../nvidia/cu13/lib).
#
# Sets what engine/ uses of find_package(Torch): TORCH_LIBRARIES (the imported target ttsd::torch_cpu),
# TORCH_INSTALL_PREFIX, TORCH_CXX_FLAGS; and TTSD_TORCH_VERSION. Its other variables stay in the block.

block(PROPAGATE TORCH_LIBRARIES TORCH_INSTALL_PREFIX TORCH_CXX_FLAGS TORCH_FOUND TTSD_TORCH_VERSION TTSD_TORCH_LIB_DIR)
set(dir "${TTSD_TORCH_DIR}")
foreach(file_name lib/libtorch_cpu.so lib/libc10.so share/cmake/Caffe2/Caffe2Targets.cmake
                  include/torch/csrc/api/include/torch/version.h)
  if(NOT EXISTS "${dir}/${file_name}")
    message(FATAL_ERROR "TTSD_TORCH_DIR=${dir} has no ${file_name}: it should be the torch/ directory of PyPI's "
                        "torch wheel, as in .venv/torch2 (./install-deps.sh --torch2)")
  endif()
endforeach()

# The version: torch/version.h, or (2.11) the header it includes.
set(defines "")
foreach(header torch/csrc/api/include/torch/version.h torch/headeronly/version.h)
  if(EXISTS "${dir}/include/${header}")
    file(STRINGS "${dir}/include/${header}" lines REGEX "#define TORCH_VERSION_(MAJOR|MINOR|PATCH) ")
    list(APPEND defines ${lines})
  endif()
endforeach()
string(REGEX REPLACE ".*MAJOR ([0-9]+).*MINOR ([0-9]+).*PATCH ([0-9]+).*" "\\1.\\2.\\3" TTSD_TORCH_VERSION "${defines}")

# The libstdc++ ABI it was built with: older wheels say so in TorchConfig.cmake (1.x: the old ABI); newer
# ones (2.9, 2.11) say nothing and use the C++11 ABI.
set(abi 1)
if(EXISTS "${dir}/share/cmake/Torch/TorchConfig.cmake")
  file(STRINGS "${dir}/share/cmake/Torch/TorchConfig.cmake" abi_line REGEX "_GLIBCXX_USE_CXX11_ABI=[01]")
  if(abi_line MATCHES "_GLIBCXX_USE_CXX11_ABI=([01])")
    set(abi ${CMAKE_MATCH_1})
  endif()
endif()
set(TORCH_CXX_FLAGS "-D_GLIBCXX_USE_CXX11_ABI=${abi}")

# torch_cpu's compile definitions as the wheel exports them: USE_DISTRIBUTED, say, adds a member to a struct
# in torch/csrc/jit/runtime/interpreter.h, so code built without it would disagree with the library.
file(READ "${dir}/share/cmake/Caffe2/Caffe2Targets.cmake" targets)
set(definitions "")
if(targets MATCHES "set_target_properties\\(torch_cpu PROPERTIES[^)]*INTERFACE_COMPILE_DEFINITIONS \"([^\"]*)\"")
  set(definitions "${CMAKE_MATCH_1}")
endif()

add_library(ttsd::c10 SHARED IMPORTED)
set_target_properties(ttsd::c10 PROPERTIES IMPORTED_LOCATION "${dir}/lib/libc10.so" IMPORTED_SONAME libc10.so)
add_library(ttsd::torch_cpu SHARED IMPORTED)
set_target_properties(ttsd::torch_cpu PROPERTIES
  IMPORTED_LOCATION "${dir}/lib/libtorch_cpu.so"
  IMPORTED_SONAME libtorch_cpu.so
  INTERFACE_INCLUDE_DIRECTORIES "${dir}/include;${dir}/include/torch/csrc/api/include"
  INTERFACE_COMPILE_DEFINITIONS "${definitions}"
  INTERFACE_LINK_LIBRARIES ttsd::c10)

set(TORCH_LIBRARIES ttsd::torch_cpu)
set(TORCH_INSTALL_PREFIX "${dir}")
set(TORCH_FOUND TRUE)
# Programs find libtorch_cpu.so through their RPATH: CMake's own in the build tree. Installed, ttsd (the one
# installed program that links the engine) keeps the path too, set once the target exists. Not through
# CMAKE_INSTALL_RPATH_USE_LINK_PATH, which leaves out directories inside the source tree (.venv/), nor
# CMAKE_INSTALL_RPATH, which would reach ttsc too, whose build has no RPATH to rewrite.
set(TTSD_TORCH_LIB_DIR "${dir}/lib")
cmake_language(DEFER CALL set_property TARGET ttsd APPEND PROPERTY INSTALL_RPATH "${TTSD_TORCH_LIB_DIR}")
message(STATUS "libtorch ${TTSD_TORCH_VERSION}, CPU only (libtorch_cpu, c10), from ${dir} "
               "(${TORCH_CXX_FLAGS}; ${definitions})")
endblock()
