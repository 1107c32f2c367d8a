"""nbgrader's cell-metadata check with its JSON schema compiled once per process instead of once per cell.

nbgrader's validator calls `jsonschema.validate(metadata, schema)` for every graded cell, which checks the schema
itself before the metadata each time: about a third of the coordinator's time per notebook. The subclasses here
validate against the same schema with the same rules and raise the same errors.
"""
from __future__ import annotations

import jsonschema
from jsonschema.exceptions import best_match
from nbgrader.nbgraderformat.common import BaseMetadataValidator
from nbgrader.nbgraderformat.v3 import MetadataValidatorV3
from nbgrader.preprocessors import CheckCellMetadata
from nbgrader.preprocessors.checkcellmetadata import ValidationError

_VALIDATORS: dict[int, jsonschema.protocols.Validator] = {}  # schema version -> compiled schema


class _CompiledSchema(BaseMetadataValidator):
    """nbgrader's base validation (schema version, then the JSON schema), with the schema compiled once."""

    def validate_cell(self, cell) -> None:
        if "nbgrader" not in cell.metadata:
            return
        if cell.metadata["nbgrader"].get("schema_version", 0) != self.schema_version:
            super().validate_cell(cell)  # nbgrader's own error for a schema too old or too new
            return
        validator = _VALIDATORS.get(self.schema_version)
        if validator is None:
            validator_class = jsonschema.validators.validator_for(self.schema)
            validator_class.check_schema(self.schema)  # once, where jsonschema.validate checks it every call
            validator = _VALIDATORS[self.schema_version] = validator_class(self.schema)
        error = best_match(validator.iter_errors(cell.metadata["nbgrader"]))
        if error is not None:
            raise error


class CompiledMetadataValidator(MetadataValidatorV3, _CompiledSchema):
    """nbgrader's current (v3) metadata validator: its own cell rules on top of the compiled schema check."""


class CompiledCheckCellMetadata(CheckCellMetadata):
    """Stands in for nbgrader's CheckCellMetadata preprocessor: the same check and error, faster."""

    def preprocess(self, nb, resources):
        try:
            CompiledMetadataValidator().validate_nb(nb)
        except ValidationError:
            return super().preprocess(nb, resources)  # nbgrader logs and raises its own message
        return nb, resources

