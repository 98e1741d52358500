;; SPDX-License-Identifier: Apache-2.0
;; Initial memory of 100 pages and a table of 5000 elements, over the caps test_hostile.c sets.
(module (memory 100) (table 5000 funcref))
