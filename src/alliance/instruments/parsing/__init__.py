"""Turn a FHIR R4 Questionnaire (dict) into an :class:`Instrument`.

* :mod:`.alliance`: Alliance definitions, with all scoring metadata in one extension;
* :mod:`.foreign`: Questionnaires written elsewhere, scored as the sum of their answer weights;
* :mod:`.expressions`: the check that a foreign calculatedExpression is such a sum;
* :mod:`.common`: what they share (extension URLs, hashing, item structure, weight checks).

Import from the module that holds a name; this package re-exports nothing.
"""
