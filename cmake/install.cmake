# SPDX-License-Identifier: Apache-2.0
# install.cmake: the install rules, the pkg-config file, the CMake package and the CPack (Debian)
# configuration. Included by the top-level CMakeLists.txt when WAPC_INSTALL is ON. Components:
#   runtime      libwapc.so.N (package libwapcN)
#   development  headers, libwapc.so, libwapc.a, wapc.pc, the CMake package, libwapc(3), the docs
#                (package libwapc-dev)
#   tools        the wapc command and wapc(1) (package wapc)

set(WAPC_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/wapc)

install(TARGETS wapc_shared wapc_static EXPORT wapcTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT runtime NAMELINK_COMPONENT development
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT development
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${PROJECT_SOURCE_DIR}/include/wapc.h ${PROJECT_SOURCE_DIR}/include/wapc_engine.h
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT development)
if(TARGET wapc)
  install(TARGETS wapc RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT tools)
endif()

# pkg-config: the prefix is found from the .pc file's own place, so an installed tree can be moved
# (and `cmake --install --prefix P` works with any P).
set(WAPC_PC_DIR ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
file(RELATIVE_PATH WAPC_PC_TO_PREFIX /prefix/${WAPC_PC_DIR} /prefix)
string(REGEX REPLACE "/$" "" WAPC_PC_TO_PREFIX "${WAPC_PC_TO_PREFIX}")
configure_file(${PROJECT_SOURCE_DIR}/cmake/wapc.pc.in ${PROJECT_BINARY_DIR}/wapc.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/wapc.pc DESTINATION ${WAPC_PC_DIR} COMPONENT development)

# The CMake package: find_package(wapc) gives wapc::wapc (shared) and wapc::wapc_static.
install(EXPORT wapcTargets NAMESPACE wapc:: DESTINATION ${WAPC_CMAKE_DIR} COMPONENT development)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/wapcConfig.cmake.in
  ${PROJECT_BINARY_DIR}/wapcConfig.cmake INSTALL_DESTINATION ${WAPC_CMAKE_DIR})
# 0.x: a new minor version may break the API, so only the same minor version is compatible.
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(wapc_compat SameMinorVersion)
else()
  set(wapc_compat SameMajorVersion)
endif()
write_basic_package_version_file(${PROJECT_BINARY_DIR}/wapcConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY ${wapc_compat})
install(FILES ${PROJECT_BINARY_DIR}/wapcConfig.cmake ${PROJECT_BINARY_DIR}/wapcConfigVersion.cmake
  DESTINATION ${WAPC_CMAKE_DIR} COMPONENT development)

# License and documents under share/doc/libwapc.
install(FILES ${PROJECT_SOURCE_DIR}/LICENSE ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/CHANGELOG.md
  ${PROJECT_SOURCE_DIR}/SECURITY.md ${PROJECT_SOURCE_DIR}/docs/ARCHITECTURE.md
  DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT development)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/examples/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples
  COMPONENT development FILES_MATCHING PATTERN "*.c" PATTERN "*.h" PATTERN "*.wat" PATTERN "*.wasm" PATTERN "*.md")
if(TARGET wapc)
  install(FILES ${PROJECT_SOURCE_DIR}/LICENSE DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/wapc
    COMPONENT tools)
endif()
install(FILES ${PROJECT_SOURCE_DIR}/LICENSE DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/libwapc${WAPC_SOVERSION}
  COMPONENT runtime)

# ---- CPack: cpack -G DEB in the build directory makes libwapcN, libwapc-dev and wapc .deb files ----------
set(CPACK_PACKAGE_NAME libwapc)
set(CPACK_PACKAGE_VENDOR "libwapc developers")
set(CPACK_PACKAGE_CONTACT "libwapc developers <libwapc@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_RESOURCE_FILE_LICENSE ${PROJECT_SOURCE_DIR}/LICENSE)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_GENERATOR DEB)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL runtime development tools)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION libs)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE ${PROJECT_HOMEPAGE_URL})
set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME libwapc${WAPC_SOVERSION})
set(CPACK_DEBIAN_RUNTIME_PACKAGE_DEPENDS "libc6 (>= 2.34)")
set(CPACK_DEBIAN_DEVELOPMENT_PACKAGE_NAME libwapc-dev)
set(CPACK_DEBIAN_DEVELOPMENT_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_TOOLS_PACKAGE_NAME wapc)
set(CPACK_DEBIAN_TOOLS_PACKAGE_SECTION utils)
set(CPACK_DEBIAN_TOOLS_PACKAGE_DEPENDS "libc6 (>= 2.34)")
set(CPACK_COMPONENT_RUNTIME_DESCRIPTION "waPC host runtime in C (shared library)")
set(CPACK_COMPONENT_DEVELOPMENT_DESCRIPTION
  "waPC host runtime in C (headers, static library, pkg-config and CMake files, manual)")
set(CPACK_COMPONENT_TOOLS_DESCRIPTION "wapc: call waPC guests and run WASI commands from the shell")
set(CPACK_COMPONENT_DEVELOPMENT_DEPENDS runtime)
set(CPACK_DEBIAN_ENABLE_COMPONENT_DEPENDS ON)
include(CPack)
